// Follow-up questions about the seeded article ("What are the treatment options for muscle
// spasms?"), in professional and lay wording, with the sections that answer each (section
// keys; "summary" is the summary), and off-topic questions that must get no answer.
// Used by `npm run bench:ask` (hit@3, share of off-topic questions left unanswered) and by
// test/ask-quality.test.ts, which asserts the figures as a floor.
export const onTopicQuestions: { question: string; sections: string[] }[] = [
  { question: "Does baclofen make you sleepy?", sections: ["skeletal-muscle-relaxants", "important-considerations"] },
  { question: "Is sedation a side effect of baclofen?", sections: ["skeletal-muscle-relaxants", "important-considerations"] },
  { question: "Can dantrolene hurt my liver?", sections: ["skeletal-muscle-relaxants", "important-considerations"] },
  { question: "What is the hepatotoxicity risk with dantrolene?", sections: ["skeletal-muscle-relaxants", "important-considerations"] },
  { question: "Does botox help with spasms?", sections: ["focal-treatments", "treatment-algorithm"] },
  { question: "When are botulinum toxin injections used for focal spasticity?", sections: ["focal-treatments", "treatment-algorithm"] },
  { question: "What can I do about cramps if I have cirrhosis?", sections: ["nutritional-support", "skeletal-muscle-relaxants"] },
  { question: "What if the pills don't work for my stiffness?", sections: ["invasive-options", "treatment-algorithm"] },
  { question: "What is the starting dose of tizanidine?", sections: ["skeletal-muscle-relaxants", "treatment-algorithm"] },
  { question: "How much tizanidine can I take a day?", sections: ["skeletal-muscle-relaxants"] },
  { question: "Is tizanidine good for multiple sclerosis spasticity?", sections: ["skeletal-muscle-relaxants", "summary"] },
  { question: "Which muscle relaxer is best for back pain?", sections: ["skeletal-muscle-relaxants", "treatment-algorithm"] },
  { question: "Is cyclobenzaprine effective for acute neck pain?", sections: ["skeletal-muscle-relaxants", "treatment-algorithm"] },
  { question: "Should I take valium for muscle spasms?", sections: ["medications-to-avoid"] },
  { question: "Why should benzodiazepines be avoided for spasticity?", sections: ["medications-to-avoid"] },
  { question: "Do stretches help muscle spasms?", sections: ["physical-interventions", "treatment-algorithm"] },
  { question: "How often should passive stretching be done?", sections: ["physical-interventions"] },
  { question: "Can electrical stimulation help muscle atrophy?", sections: ["physical-interventions"] },
  { question: "Does low potassium cause cramps?", sections: ["nutritional-support"] },
  { question: "Can magnesium deficiency make cramps worse?", sections: ["nutritional-support"] },
  { question: "What is a baclofen pump?", sections: ["invasive-options", "treatment-algorithm"] },
  { question: "How does intrathecal baclofen work for severe spasticity?", sections: ["invasive-options", "treatment-algorithm"] },
  { question: "When is orthopedic surgery needed for contractures?", sections: ["invasive-options"] },
  { question: "Which muscle relaxant does not affect memory or thinking?", sections: ["skeletal-muscle-relaxants", "treatment-algorithm"] },
  { question: "Why do spasms happen after a spinal cord injury?", sections: ["important-considerations", "skeletal-muscle-relaxants"] },
  { question: "Does tizanidine cause dry mouth?", sections: ["important-considerations"] },
  { question: "Is baclofen approved for stroke or cerebral palsy?", sections: ["skeletal-muscle-relaxants"] },
  { question: "What is the first-line medication for chronic spasticity?", sections: ["treatment-algorithm", "summary", "skeletal-muscle-relaxants"] },
  { question: "Can albumin help muscle cramps?", sections: ["nutritional-support"] },
  { question: "Is methocarbamol used for cramps in liver disease?", sections: ["skeletal-muscle-relaxants", "nutritional-support"] },
  { question: "Are phenol injections an option for focal spasticity?", sections: ["focal-treatments"] },
];

export const offTopicQuestions: string[] = [
  "What is the vaccine schedule for a two-year-old?",
  "What is the amoxicillin dose for an ear infection?",
  "How long should antibiotics be taken for strep throat?",
  "Can I get the flu shot while pregnant?",
  "What is a normal blood pressure for adults?",
  "How do I treat a migraine headache?",
  "Is ibuprofen safe for children with fever?",
  "What are the symptoms of diabetes?",
  "How much vitamin D should a newborn get?",
  "Can antibiotics treat muscle spasms?",
  "What is the best diet for weight loss?",
  "When should a child get the measles vaccine?",
];
